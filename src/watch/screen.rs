//! The screen classifier: pane text in, a verdict out.
