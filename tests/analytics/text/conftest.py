"""Markers used by the text analysis tests."""


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: takes more than 20 seconds (deselect: -m 'not slow')")
