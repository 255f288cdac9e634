"""`beatbook import-benchmarks`: the hyphenated name of `import_benchmarks`."""

from beatbook.insight.management.commands.import_benchmarks import Command

__all__ = ["Command"]
