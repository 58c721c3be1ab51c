"""The Mini Apps: the calculator at /app/ and the officers' dashboard at /app/desk, their JSON
API under /app/api/, on the bot's web server."""
