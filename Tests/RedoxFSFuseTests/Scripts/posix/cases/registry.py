"""The list of cases and the decorator that fills it. Original test code for RedoxFSKit."""
from collections import namedtuple

Case = namedtuple("Case", "syscall name function")
CASES = []


def case(syscall):
    """Registers the decorated function as a case of `syscall`, named after the function."""
    def register(function):
        CASES.append(Case(syscall, function.__name__, function))
        return function
    return register


def cases_for(syscall, name, function, variants):
    """Registers `function(variant)` once per variant, named `name[variant]`."""
    for variant in variants:
        CASES.append(Case(syscall, f"{name}[{variant}]", (lambda v: lambda: function(v))(variant)))
