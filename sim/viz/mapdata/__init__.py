"""Map data shipped with routesim (see ATTRIBUTION.md): read with importlib.resources."""
