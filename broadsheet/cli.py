"""The `broadsheet` command: one entry point for every task an operator runs.

Each subcommand is a Django management command underneath (so `manage` reaches
the rest of Django's); this wrapper migrates the database first, so every
command works on a brand-new data folder.
"""

import os
import shutil
import sys

from broadsheet import __version__

COMMANDS: dict[str, tuple[str, str]] = {
    "serve": (
        "serve",
        "serve the site: [--host H] [--port P] [--workers N] [--no-demo] [--no-worker]",
    ),
    "worker": ("worker", "run background tasks (notifications, e-mail); serve runs one itself"),
    "publish": ("publish", "publish or update an article from FILE.md with front matter"),
    "grant": ("grant", "give a reader a role: broadsheet grant HANDLE moderator|editor|admin"),
    "revoke": ("revoke", "take a role away: broadsheet revoke HANDLE moderator|editor|admin"),
    "demo": (
        "load_demo",
        "load the demo edition; --articles N --comments-per-article M: a big site",
    ),
    "import": (
        "import_comments",
        "import another system's comments: broadsheet import disqus|wxr|isso|remark42 FILE",
    ),
    "export": ("export", "write the whole site to FILE in Broadsheet's own format (JSON Lines)"),
    "restore": ("restore", "restore an export FILE into an empty site"),
    "backup": ("backup", "make a consistent online backup of the database into DIR"),
    "translate": (
        "translate",
        "draft a machine-translated edition for review: broadsheet translate SLUG --to LANG",
    ),
    "token": (
        "token",
        "personal API tokens: token create HANDLE [--scope S] [--name N] | list HANDLE | "
        "revoke PREFIX",
    ),
    "reset-second-factors": (
        "reset_second_factors",
        "take a reader's passkeys, app and recovery codes away: reset-second-factors HANDLE",
    ),
    "reindex": ("reindex", "rebuild the search index from the articles and comments"),
    "createsuperuser": ("createsuperuser", "create an administrator account"),
    "changepassword": ("changepassword", "change a reader's password: changepassword HANDLE"),
    "migrate": ("migrate", "apply database migrations (every command does this first)"),
    "check": ("check", "check the configuration for problems"),
    "manage": ("", "run any Django management command: broadsheet manage COMMAND ..."),
}


def print_help() -> None:
    print(f"broadsheet {__version__}: a news publication with a reader discussion system\n")
    print("usage: broadsheet COMMAND [options]    (broadsheet COMMAND --help for its options)\n")
    print("commands:")
    for name, (_target, summary) in COMMANDS.items():
        print(f"  {name:<16} {summary}")
    print("\nenvironment: BROADSHEET_DATA_DIR (default ./var), BROADSHEET_DATABASE_URL, ...")
    print("see README.md for every setting.")


def _count_across_processes() -> None:
    """Give the app processes `serve` starts one folder for their /metrics numbers,
    emptied first: prometheus-client reads the variable when it is first imported,
    so it must be set before Django loads anything. One the operator set is kept."""
    from broadsheet.data_dir import get_data_dir

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return
    folder = get_data_dir() / "metrics"
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir()
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder)


def _migrate() -> None:
    from django.core.management import call_command  # deferred: see main()

    call_command("migrate", interactive=False, verbosity=0)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in {"-h", "--help", "help"}:
        print_help()
        return 0
    name, rest = argv[0], argv[1:]
    if name in {"-V", "--version"}:
        print(__version__)
        return 0
    if name not in COMMANDS:
        print(f"broadsheet: unknown command “{name}”\n", file=sys.stderr)
        print_help()
        return 2
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "broadsheet.settings")
    if name == "serve":
        _count_across_processes()
    # Django is imported only now: `--help` and `--version` answer without
    # loading it, and the settings module is named before anything reads it.
    import django
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import ManagementUtility

    try:
        django.setup()
    except ImproperlyConfigured as error:
        # A bad setting: its own message names the variable and its value.
        print(f"broadsheet: {error}", file=sys.stderr)
        return 2
    target = COMMANDS[name][0]
    if name == "manage":
        if not rest:
            ManagementUtility(["broadsheet manage", "help"]).execute()
            return 0
        target, rest = rest[0], rest[1:]
    wants_help = any(arg in {"-h", "--help"} for arg in rest)
    if target != "migrate" and not wants_help:
        _migrate()
    ManagementUtility([f"broadsheet {name}", target, *rest]).execute()
    return 0


if __name__ == "__main__":
    sys.exit(main())
