"""The data map: the one description of personal data, and a leaf of the import graph.

It holds the vocabulary (:mod:`.vocabulary`), the retention rules
(:mod:`.retention_rules`), the per-column declarations (:mod:`.declarations`),
the ties that say whom and what a row belongs to (:mod:`.ties`, walked by
:mod:`.tiegraph`), the moments retention counts from (:mod:`.anchors`), the
processor register (:mod:`.processors`) and the processing activities
(:mod:`.activities`). It imports nothing of the platform but ``db.base``, so
everything else may read it: the models declare with it, the privacy engines
enforce it, the documents are generated from it.
"""
