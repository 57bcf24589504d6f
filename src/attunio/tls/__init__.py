"""TLS termination: server context profiles, certificates, and their inspection."""
