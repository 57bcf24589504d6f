"""`GET /metrics`: request counts and latency from every worker, and the appliance's state, in the
Prometheus text format."""
