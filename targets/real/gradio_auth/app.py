# Gradio's minimal demo (the "Quickstart" greet Interface) with password protection as Gradio's
# guide "Sharing Your App > Authentication > Password-protected app" shows it:
#     demo.launch(auth=("admin", "pass1234"))
# Lab changes only: the password is a random one passed in by `start` (GRADIO_LAB_ADMIN_PASSWORD),
# owned mode adds a second (username, password) pair (a list of tuples, as the same guide allows),
# and the address/port come from Gradio's own GRADIO_SERVER_NAME / GRADIO_SERVER_PORT variables.
import os

import gradio as gr


def greet(name):
    return "Hello " + name + "!"


demo = gr.Interface(fn=greet, inputs="text", outputs="text")

auth = [("admin", os.environ["GRADIO_LAB_ADMIN_PASSWORD"])]
if os.environ.get("GRADIO_LAB_OWNED_USER") and os.environ.get("GRADIO_LAB_OWNED_PASSWORD"):
    auth.append((os.environ["GRADIO_LAB_OWNED_USER"], os.environ["GRADIO_LAB_OWNED_PASSWORD"]))
for k in ("GRADIO_LAB_ADMIN_PASSWORD", "GRADIO_LAB_OWNED_USER", "GRADIO_LAB_OWNED_PASSWORD"):
    os.environ.pop(k, None)

demo.launch(auth=auth if len(auth) > 1 else auth[0])
