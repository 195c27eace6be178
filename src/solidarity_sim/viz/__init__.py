"""Every figure and the HTML reports; they take tables, never the model.

The figure modules leave matplotlib's backend to the program that uses them (the command line
draws with Agg).
"""
