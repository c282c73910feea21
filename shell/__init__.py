"""The application shell: the `gongkai` command, running the whole system, first-start data and
demo cases. It wires the layers together; nothing below imports it."""
