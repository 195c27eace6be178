"""Every figure and the HTML reports; they take tables, never the model."""
