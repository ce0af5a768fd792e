"""The dashboard's pages (run by ``st.navigation`` in app.py). Widgets and charts only: every
number comes from ``analytics``; no SQL and no connection here."""
