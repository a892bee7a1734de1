"""Moderation at a glance: open reports, and actions taken in the last day and week."""

import json
from datetime import timedelta

from django.core.management.base import BaseCommand
from django.db.models import Count
from django.utils import timezone

from tweets.models import ModerationAction, Report


def moderation_stats() -> dict:
    now = timezone.now()
    open_reports = Report.objects.filter(status=Report.Status.OPEN)
    by_reason = dict(open_reports.values_list("reason").annotate(n=Count("id")).order_by())
    actions = {}
    for label, since in [("last_day", now - timedelta(days=1)), ("last_week", now - timedelta(7))]:
        recent = ModerationAction.objects.filter(created_at__gte=since)
        actions[label] = dict(recent.values_list("kind").annotate(n=Count("id")).order_by())
    return {
        "open_reports": sum(by_reason.values()),
        "open_reports_by_reason": by_reason,
        "open_reports_on_tweets": open_reports.filter(tweet__isnull=False).count(),
        "open_reports_on_accounts": open_reports.filter(account__isnull=False).count(),
        "actions": actions,
    }


class Command(BaseCommand):
    help = "Show open reports and the moderation actions of the last day and week."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="Print JSON instead of text.")

    def handle(self, *args, **options):
        stats = moderation_stats()
        if options["json"]:
            self.stdout.write(json.dumps(stats, indent=2, sort_keys=True))
            return
        self.stdout.write(
            f"Open reports: {stats['open_reports']} "
            f"({stats['open_reports_on_tweets']} on tweets, "
            f"{stats['open_reports_on_accounts']} on accounts)"
        )
        for reason, count in sorted(stats["open_reports_by_reason"].items()):
            self.stdout.write(f"  {reason}: {count}")
        for label, title in [("last_day", "last 24 hours"), ("last_week", "last 7 days")]:
            kinds = stats["actions"][label]
            self.stdout.write(f"Actions in the {title}: {sum(kinds.values())}")
            for kind, count in sorted(kinds.items()):
                self.stdout.write(f"  {kind}: {count}")
