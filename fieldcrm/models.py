"""Imports every feature's models once, so Alembic autogenerate and create_all see them all."""

from fieldcrm import audit, datacache, jobs  # noqa: F401
from fieldcrm.api import models as api_models  # noqa: F401
from fieldcrm.auth import models as auth_models  # noqa: F401
from fieldcrm.commitments import models as commitments_models  # noqa: F401
from fieldcrm.contacts import models as contacts_models  # noqa: F401
from fieldcrm.conversations import models as conversations_models  # noqa: F401
from fieldcrm.dashboards import indexes as dashboards_indexes  # noqa: F401
from fieldcrm.door import models as door_models  # noqa: F401
from fieldcrm.fieldapp import models as fieldapp_models  # noqa: F401
from fieldcrm.imports import models as imports_models  # noqa: F401
from fieldcrm.ladder import models as ladder_models  # noqa: F401
from fieldcrm.rollups import models as rollups_models  # noqa: F401
from fieldcrm.settings import models as settings_models  # noqa: F401
from fieldcrm.turf import models as turf_models  # noqa: F401
from fieldcrm.van import models as van_models  # noqa: F401
from fieldcrm.votes import models as votes_models  # noqa: F401
from fieldcrm.webhooks import models as webhooks_models  # noqa: F401
