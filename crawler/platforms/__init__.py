"""One base spider per portal platform, and the registry of platform layouts."""
from __future__ import annotations


def _collect():
    from . import aspnet, commune, generic, liferay, newspaper, partyportal

    layouts = dict(generic.LAYOUTS)
    for mod in (aspnet, liferay, partyportal, commune, newspaper):
        layouts[mod.PLATFORM] = mod.LAYOUTS
    return layouts


class _Lazy(dict):
    def _fill(self):
        if not dict.__len__(self):
            self.update(_collect())

    def get(self, k, default=None):
        self._fill()
        return dict.get(self, k, default)

    def __getitem__(self, k):
        self._fill()
        return dict.__getitem__(self, k)

    def keys(self):
        self._fill()
        return dict.keys(self)


PLATFORM_LAYOUTS = _Lazy()
