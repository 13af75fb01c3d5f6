"""Terminal, Markdown and HTML tables, report.html, and drawing figures and report into a folder."""
