"""What a deploy relies on: migrate.py, least privilege (roles, owners, what wallet_app
reaches), the image built and run with buildah, the service behind PgBouncer."""
