"""The whole schema: imports every model module, so that ``Base.metadata`` has every table.

It sits above the domains (it imports them all), so ``db`` stays at the bottom
of the import graph: the Alembic environment, the platform, the command line and
the tests read the schema from here.
"""

from __future__ import annotations

from sqlalchemy import MetaData

from interpreta.accounts import models as accounts_models
from interpreta.availability import models as availability_models
from interpreta.billing import models as billing_models
from interpreta.booths import models as booths_models
from interpreta.calendar_integration import models as calendar_models
from interpreta.crm import models as crm_models
from interpreta.db.base import Base
from interpreta.engagement import models as engagement_models
from interpreta.events import models as events_models
from interpreta.events import statistics as statistics_models
from interpreta.meetings import models as meetings_models
from interpreta.newsletter import models as newsletter_models
from interpreta.privacy import breaches as breaches_models
from interpreta.privacy import disclosures as disclosures_models
from interpreta.privacy import holds as holds_models
from interpreta.privacy import marks as marks_models
from interpreta.privacy import models as privacy_models
from interpreta.privacy.rights import models as rights_models
from interpreta.recordings import models as recordings_models
from interpreta.registration import models as registration_models
from interpreta.support import models as support_models
from interpreta.usage import models as usage_models
from interpreta.visitors import models as visitors_models
from interpreta.webhooks import models as webhooks_models

MODEL_MODULES = (
    accounts_models,
    billing_models,
    support_models,
    crm_models,
    usage_models,
    webhooks_models,
    availability_models,
    events_models,
    meetings_models,
    recordings_models,
    engagement_models,
    booths_models,
    registration_models,
    calendar_models,
    newsletter_models,
    visitors_models,
    privacy_models,
    holds_models,
    statistics_models,
    breaches_models,
    disclosures_models,
    rights_models,
    marks_models,
)


def all_metadata() -> MetaData:
    """The metadata of every table of the platform."""
    return Base.metadata
