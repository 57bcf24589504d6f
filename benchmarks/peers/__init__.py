"""The two servers the appliance is compared with, each serving the same Digital MSE request."""
