import sys

from ingest import interrupt

interrupt.install()  # before the heavy imports: a Ctrl-C from now on is a request to stop
try:
    from ingest.no_pandas import keep_pandas_out

    keep_pandas_out()
    from ingest.cli import main

    code = main(stop=interrupt.STOP)
except KeyboardInterrupt:  # the second Ctrl-C
    print("interrupted: whole files only were kept; run the same command again to finish", file=sys.stderr)
    code = 130
interrupt.ignore_from_now()
sys.exit(code)
