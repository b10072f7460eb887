"""The kubernetes runtime adapter: objects built as data, applied server-side."""
