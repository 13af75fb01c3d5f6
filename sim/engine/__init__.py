"""The SimPy engine: demand drawn up front, vehicles as processes, containers as rows; replications."""
