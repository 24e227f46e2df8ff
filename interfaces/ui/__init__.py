"""The Gradio chat UI, split so that everything except the wiring is plain, testable Python.

- `render`: an `rag.Answer` -> chat messages (answer, sources box, verification box);
- `chat`: the streaming chat turn (filters, errors, refusals) as a generator of chat histories;
- `library`: the Library tab's table, uploads (sanitised, size-checked, ingested) and removals;
- `server`: the "who may connect" rule (auth off localhost) and launch defaults;
- `theme`: CSS and theme;
- `app`: `create_app()` wires these into `gr.Blocks` (handlers, layout, events) and `serve()`
  runs it; only `app` and `theme` import gradio, lazily.

`app.py` at the top level is the entry point `python app.py`.
"""
