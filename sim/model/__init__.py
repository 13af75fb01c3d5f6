"""The scenario: its validated, immutable model, the TOML loader, --set overrides, distributions, errors."""
