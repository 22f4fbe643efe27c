"""The health endpoint for load balancers and process managers."""
