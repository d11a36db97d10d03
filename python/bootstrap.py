"""Serves the modules fmc-runner carries (the `pulsar` package and
`_fmc_instance`) from the runner binary itself, ahead of anything on
sys.path: a function gets the runner's `pulsar` API even where a
pulsar-client wheel is installed, and the image needs no files for it."""

import importlib.abc
import importlib.util
import sys


class EmbeddedModules(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def __init__(self, sources):
        # name -> (source text, is a package)
        self.sources = sources

    def find_spec(self, name, path=None, target=None):
        if name not in self.sources:
            return None
        return importlib.util.spec_from_loader(name, self, origin="fmc-runner/" + name, is_package=self.sources[name][1])

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        source, _ = self.sources[module.__name__]
        exec(compile(source, module.__spec__.origin, "exec"), module.__dict__)


def install(sources):
    sys.meta_path.insert(0, EmbeddedModules(sources))
