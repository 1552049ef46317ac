"""Stand-in Pulumi resource plugins for the two providers the Go module proxy here does not serve."""
