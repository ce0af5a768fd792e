"""Analytics: read the store and compute. Returns DataFrames or frozen dataclasses.

Never imports streamlit; never writes to the database.
"""
