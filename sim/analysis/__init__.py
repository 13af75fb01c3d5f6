"""What a run means: statistics over replications, time series, comparison, validation against claims."""
