"""Email: composing messages (render.py), and the transports that hand them over (transport.py)."""
