"""The results folder: its files, written atomically, and reading them back."""
