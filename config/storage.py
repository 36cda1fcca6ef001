"""Static files in production: hashed names (cached for a year) that JavaScript modules follow."""

from __future__ import annotations

from whitenoise.storage import CompressedManifestStaticFilesStorage


class HashedStaticFiles(CompressedManifestStaticFilesStorage):
    # The play page is ES modules: rewriting their `import ... from "./x.js"` to the hashed
    # names makes a new release load new modules, never a cached mix of old and new.
    support_js_module_import_aggregation = True
