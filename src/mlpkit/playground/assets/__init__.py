"""The page: index.html, app.js, style.css (shipped as package data, read by server.py)."""
