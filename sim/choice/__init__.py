"""Shippers who choose: generalised cost, the choice rules, and the equilibrium that feeds
simulated door-to-door times back into the split of each origin–destination flow."""
