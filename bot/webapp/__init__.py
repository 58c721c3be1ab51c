"""The Mini App: pages under /app/ and their JSON API under /app/api/, on the bot's web server."""
