"""A DNS resolver that answers 127.0.0.1 for every name, so that a crawl under test can never
reach another address (used for the off-site redirect case: `-s TWISTED_DNS_RESOLVER=...`)."""
from twisted.internet import defer
from twisted.internet.interfaces import IResolverSimple
from zope.interface import implementer

from scrapy.resolver import CachingThreadedResolver


@implementer(IResolverSimple)
class LoopbackResolver(CachingThreadedResolver):
    def getHostByName(self, name, timeout=()):
        return defer.succeed("127.0.0.1")
