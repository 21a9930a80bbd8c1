"""The distribution installs with ``pip install .`` and ``pip install -e .`` (design card).

Each install goes into a fresh virtual environment that sees the already-installed
dependencies through a plain path entry (not the outer environment's ``.pth`` hooks), so
the only ``appgov_plugin`` it can import is the one pip just installed.
"""

from __future__ import annotations

import json
import re
import subprocess
import sysconfig
import textwrap
import venv
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
#: every form definition of the repository's forms/ (the retired app_proposal included)
SHIPPED_FORMS = sorted(p.stem for p in (REPO / "forms").glob("*.toml"))

PROBE = textwrap.dedent(
    """
    import json, sys, sysconfig
    from importlib import metadata, resources
    import appgov_plugin
    from appgov_plugin.forms import builder
    site = sysconfig.get_paths()["purelib"]
    translations = resources.files("appgov_plugin.translations")
    catalogs = sorted(
        str(p.relative_to(translations))
        for p in __import__("pathlib").Path(str(translations)).rglob("*.mo")
    )
    from appgov_plugin.i18n import domain
    package = __import__("pathlib").Path(str(resources.files("appgov_plugin")))
    templates = [
        str(p.relative_to(package)) for pattern in ("*.html", "*.css", "*.js")
        for p in sorted(package.rglob(pattern))
    ]
    print(json.dumps({
        "templates": templates,
        "package": appgov_plugin.__file__,
        "forms": builder.available(),
        "form_module": builder.__file__,
        "catalogs": catalogs,
        "stray_top_level": [n for n in ("forms", "hooks", "translations")
                            if (__import__("pathlib").Path(site) / n).exists()],
        "casehost": [ep.value for ep in metadata.entry_points(group="casehost")],
        "profile_module": __import__("appgov_plugin.hooks.kaohsiung").hooks.kaohsiung.__name__,
        "proposal_fields": len(builder.load("app_proposal").fields),
    }))
    """
)


#: The oldest pip and setuptools without the advisories of the versions bundled with Python
#: 3.11.7 (pip 23.2.1: CVE-2023-5752; setuptools 65.5.0: CVE-2022-40897, CVE-2024-6345).
MIN_PIP = (23, 3)
MIN_SETUPTOOLS = (70, 0)


@pytest.fixture(scope="module")
def packaging_venv(tmp_path_factory) -> Path:
    """One fresh environment for the module's tests, with pip and setuptools upgraded (as
    .ci/run does); each install test installs the distribution into it its own way (pip
    replaces what the other installed)."""
    return _venv(tmp_path_factory.mktemp("packaging"))


def _venv(tmp_path: Path) -> Path:
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "--upgrade", "pip", "setuptools"],
        check=True,
        capture_output=True,
        text=True,
    )
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    # dependencies from the outer environment, without running its .pth files
    outer = sysconfig.get_paths()["purelib"]
    Path(site, "outer_deps.pth").write_text(outer + "\n")
    return python


def _install_and_probe(python: Path, tmp_path: Path, *pip_args: str) -> dict:
    workdir = tmp_path / "elsewhere"
    workdir.mkdir()
    subprocess.run(
        [python, "-m", "pip", "install", "--no-deps", "--quiet", *pip_args],
        cwd=workdir,
        check=True,
        capture_output=True,
        text=True,
    )
    out = subprocess.run(
        [python, "-c", PROBE], cwd=workdir, check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_pip_install_from_outside_the_repository(packaging_venv, tmp_path):
    found = _install_and_probe(packaging_venv, tmp_path, str(REPO))
    assert "site-packages" in found["package"] and str(REPO) not in found["package"]
    assert found["forms"] == SHIPPED_FORMS
    assert "site-packages/appgov_plugin/forms/" in found["form_module"]
    assert set(found["catalogs"]) >= {
        "zh_Hant_TW/LC_MESSAGES/appgov.mo",
        "en/LC_MESSAGES/appgov.mo",
    }
    assert found["stray_top_level"] == []
    assert found["casehost"] == ["appgov_plugin.host.plugin"]
    assert found["proposal_fields"] >= 10
    # every template of every capability package (the Flask-Admin views' included), the
    # own layout's style sheet and the forms' script
    package = REPO / "appgov_plugin"
    assert found["templates"] == [
        str(p.relative_to(package))
        for pattern in ("*.html", "*.css", "*.js")
        for p in sorted(package.rglob(pattern))
    ]
    assert "web/static/appgov-forms.js" in found["templates"]


@pytest.mark.slow
def test_pip_install_editable(packaging_venv, tmp_path):
    found = _install_and_probe(packaging_venv, tmp_path, "-e", str(REPO))
    assert found["package"] == str(REPO / "appgov_plugin" / "__init__.py")
    # forms/ is mapped into the package namespace, from the repository's top level
    assert found["form_module"] == str(REPO / "forms" / "builder.py")
    assert found["forms"] == SHIPPED_FORMS
    assert "zh_Hant_TW/LC_MESSAGES/appgov.mo" in found["catalogs"]
    assert found["stray_top_level"] == []
    assert found["casehost"] == ["appgov_plugin.host.plugin"]


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", text)[:2])


@pytest.mark.slow
def test_the_packaging_environments_get_pip_and_setuptools_without_advisories(packaging_venv):
    python = packaging_venv
    out = subprocess.run(
        [
            python,
            "-c",
            # setuptools first: pip imports the standard library's distutils
            "import json, setuptools, pip; print(json.dumps([pip.__version__, pip.__file__, "
            "setuptools.__version__, setuptools.__file__]))",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    pip_version, pip_file, setuptools_version, setuptools_file = json.loads(out)
    # the environment's own copies, not the outer environment's seen through outer_deps.pth
    assert pip_file.startswith(str(python.parent.parent))
    assert setuptools_file.startswith(str(python.parent.parent))
    assert _version(pip_version) >= MIN_PIP, pip_version
    assert _version(setuptools_version) >= MIN_SETUPTOOLS, setuptools_version


def test_ci_upgrades_pip_and_setuptools_in_its_environment():
    script = (REPO / ".ci" / "run").read_text()
    venv_at = script.index("python3 -m venv .venv-ci")
    upgrade_at = script.index("python -m pip install --quiet --upgrade pip setuptools")
    install_at = script.index('pip install --quiet -e ".[test]"')
    assert venv_at < upgrade_at < install_at
    pyproject = (REPO / "pyproject.toml").read_text()
    build = re.search(r'requires = \["setuptools>=([0-9.]+)"', pyproject)
    assert _version(build[1]) >= MIN_SETUPTOOLS
