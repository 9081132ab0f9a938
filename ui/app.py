"""`gradio ui/app.py` serves the web form with hot reload while you edit it.

Settings come from the environment (`BRIEFGEN_HOME` and friends), as for the CLI.
"""

from briefgen.ui import build, style

demo = build()

if __name__ == "__main__":
    demo.launch(server_name="127.0.0.1", share=False, show_error=True, **style())
