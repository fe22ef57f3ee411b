"""The web surfaces: Gradio chat, JSON API and the embeddable widget. Imports `qa` and `index`."""
