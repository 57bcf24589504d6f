"""The request path: keys and their authentication, the sandbox quota, the license gate and the live meter."""
