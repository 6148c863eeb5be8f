"""``pregonero``: the operator's command line (``dispatcher.cli.main``).  Imported lazily,
so that ``celery -A workers sms`` can use ``dispatcher.cli.system`` without loading
every command."""


def main() -> None:
    from dispatcher.cli.main import main as run

    run()
