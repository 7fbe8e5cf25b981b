"""The subscriptions of one process, by topic, each with a bounded queue of changes."""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from typing import Any

from domain.changes import Change
from gateway.loaders import Loaders, RequestDb
from gateway.resolvers.subscriptions import Topic, topics_of


class SlowConsumer(Exception):
    """The subscriber left more events unread than its queue holds: it is cut off."""


class Feed:
    """One subscription's changes: those of its topic, in the order they committed.

    Its queue is bounded: a subscriber that falls that far behind is cut off (`on_overflow`)
    rather than let the process's memory grow.
    """

    def __init__(self, hub: Hub, topic: Topic, size: int, on_overflow: Callable[[], None]) -> None:
        self.hub = hub
        self.topic = topic
        self.queue: asyncio.Queue[Change] = asyncio.Queue(maxsize=size)
        self.on_overflow = on_overflow
        self.overflowed = False

    def offer(self, change: Change) -> None:
        if self.overflowed:
            return
        try:
            self.queue.put_nowait(change)
        except asyncio.QueueFull:
            self.overflowed = True
            self.hub.remove(self)
            self.on_overflow()

    async def next(self) -> Change:
        if self.overflowed:
            raise SlowConsumer
        return await self.queue.get()

    def close(self) -> None:
        self.hub.remove(self)


class Hub:
    """Every open feed of the process, by the topic it follows."""

    def __init__(self) -> None:
        self.feeds: defaultdict[Topic, set[Feed]] = defaultdict(set)

    def open(self, topic: Topic, size: int, on_overflow: Callable[[], None]) -> Feed:
        feed = Feed(self, topic, size, on_overflow)
        self.feeds[topic].add(feed)
        return feed

    def remove(self, feed: Feed) -> None:
        feeds = self.feeds.get(feed.topic)
        if feeds is not None:
            feeds.discard(feed)
            if not feeds:
                del self.feeds[feed.topic]

    def dispatch(self, changes: list[Change]) -> None:
        """Hands each change to the feeds of its topics, in order."""
        feeds = self.feeds
        for change in changes:
            for topic in topics_of(change):
                followers = feeds.get(topic)
                if followers:
                    for feed in list(followers):
                        feed.offer(change)


class Events:
    """What a Subscription field's resolver (the standard path) gets as `info.context.events`:
    its feed, and a fresh session and loaders for each event."""

    def __init__(
        self,
        hub: Hub,
        sessions: Any,
        *,
        size: int,
        on_overflow: Callable[[], None],
        on_follow: Callable[[], None] = lambda: None,
        on_withheld: Callable[[], None] = lambda: None,
    ) -> None:
        self.hub = hub
        self.sessions = sessions
        self.size = size
        self.on_overflow = on_overflow
        self.on_follow = on_follow
        self.withheld = on_withheld  # an event not sent: the caller may not read its row

    async def follow(self, topic: Topic) -> AsyncIterator[Change]:
        feed = self.hub.open(topic, self.size, self.on_overflow)
        self.on_follow()
        try:
            while True:
                yield await feed.next()
        finally:
            feed.close()

    @contextlib.asynccontextmanager
    async def fresh(self, context: Any) -> AsyncIterator[None]:
        """The context's session and loaders replaced by new ones for one event."""
        async with self.sessions() as session:
            context.db = RequestDb(session, context.identity)
            context.loaders = Loaders(context.db)
            try:
                yield
            finally:
                await context.db.finish()
