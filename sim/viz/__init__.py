"""Figures as matplotlib Figure objects (never pyplot state or a chosen backend), and the route map."""
