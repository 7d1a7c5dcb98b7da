from limine_scenarios import plugin_scenarios as scenarios  # noqa: F401  (LIMINE_DIR; else skipped)
