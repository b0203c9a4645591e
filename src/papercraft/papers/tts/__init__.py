"""tts — Text-to-speech: Tacotron 2 and a non-autoregressive model (coqui-ai TTS collection) (declared; no implementation yet). See ``entry.py``."""
