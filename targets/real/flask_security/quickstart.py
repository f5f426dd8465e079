"""Write Flask-Security's Quick Start application ("Basic Flask-SQLAlchemy Application" in
docs/quickstart.rst of the 5.9.2 sdist) to a file, changed in one place only.

    quickstart.py QUICKSTART_RST OUT_APP_PY

The code block is taken as the docs print it (checked against a pinned SHA-256, so a different
document is an error, not a silent change). The one change is the user the Quick Start creates
for testing: instead of test@me.com with the password "password", the one user is
admin@example.com with the long random password `start` puts in $ADMIN_PASSWORD.
"""

import hashlib
import sys
import textwrap

#: sha256 of the code block as extracted (Flask-Security 5.9.2 docs/quickstart.rst)
PINNED = "675d85709c4327adcfa6aaf0d097385e1ae2fe752781939e64b720708d4a59db"

USER_LINES = (
    '    if not security.datastore.find_user(email="test@me.com"):\n'
    '        security.datastore.create_user(email="test@me.com", password=hash_password("password"))\n'
)
ADMIN_LINES = (
    '    if not security.datastore.find_user(email="admin@example.com"):\n'
    '        security.datastore.create_user(email="admin@example.com", password=hash_password(os.environ["ADMIN_PASSWORD"]))\n'
)


def extract(rst: str) -> str:
    start = rst.index(".. _basic-flask-sqlalchemy-application:")
    end = rst.index(".. _basic-flask-sqlalchemy-lite-application:")
    section = rst[start:end]
    marker = ".. code-block:: python\n"
    body = section[section.index(marker) + len(marker):].split("\n")
    out: list[str] = []
    for line in body:
        if not out and not line.strip():
            continue
        if line.strip() and not line.startswith("    "):
            break
        out.append(line)
    return textwrap.dedent("\n".join(out)).strip("\n") + "\n"


def main() -> int:
    rst_path, out_path = sys.argv[1], sys.argv[2]
    with open(rst_path, encoding="utf-8") as fh:
        code = extract(fh.read())
    got = hashlib.sha256(code.encode()).hexdigest()
    if got != PINNED:
        print(f"quickstart.py: the Quick Start code block has sha256 {got}, expected {PINNED}", file=sys.stderr)
        return 1
    if code.count(USER_LINES) != 1 or "import os\n" not in code:
        print("quickstart.py: the Quick Start's user-creation lines were not found", file=sys.stderr)
        return 1
    code = code.replace(USER_LINES, ADMIN_LINES)
    with open(out_path, "w", encoding="utf-8") as fh:
        fh.write(code)
    return 0


if __name__ == "__main__":
    sys.exit(main())
