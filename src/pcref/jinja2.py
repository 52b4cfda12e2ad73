"""Jinja2 for Django: NHS.UK macros, gettext and our filters."""

from django.core.exceptions import ImproperlyConfigured
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext, ngettext
from jinja2 import ChainableUndefined, ChoiceLoader, Environment, PackageLoader
from markupsafe import Markup, escape

from pcref.core import presenters


def url(name: str, *args, **kwargs) -> str:
    """reverse() with positional or keyword arguments, as templates need."""
    return reverse(name, args=args or None, kwargs=kwargs or None)


def line_breaks(text: str | None) -> Markup:
    """A person's text with its line breaks kept: each line escaped before it is marked safe."""
    if not text:
        return Markup("")
    lines = str(text).replace("\r\n", "\n").split("\n")
    return Markup("<br>").join(escape(line) for line in lines)


def environment(**options) -> Environment:
    if options.get("autoescape") is not True:
        raise ImproperlyConfigured("autoescape must stay on: feedback text is hostile input")
    options["undefined"] = ChainableUndefined  # the NHS.UK macros read optional params freely
    env = Environment(**options, extensions=["jinja2.ext.do", "jinja2.ext.i18n"])
    env.install_gettext_callables(gettext, ngettext, newstyle=True)
    env.loader = ChoiceLoader([env.loader, PackageLoader("nhsuk_frontend_jinja")])
    env.globals.update(
        url=url,
        static=static,
        footer_links=presenters.footer_links,
        staff_navigation=presenters.staff_navigation,
        form_error_list=presenters.form_error_list,
        field_params=presenters.field_params,
    )
    env.filters.update(
        line_breaks=line_breaks, date_time=presenters.date_time, date_only=presenters.date_only
    )
    return env
