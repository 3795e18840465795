"""One exception type for domain rules that a user can break.

Services raise `DomainError`; views turn it into a field error on the form (or, later, a 4xx JSON body) in one place.
Messages are translatable constants so tests can assert them.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.forms import BaseForm
from django_stubs_ext import StrPromise


class DomainError(Exception):
    def __init__(self, message: str | StrPromise, *, field: str | None = None, code: str = "invalid") -> None:
        super().__init__(str(message))
        self.message = message
        self.field = field
        self.code = code

    def as_validation_error(self) -> ValidationError:
        if self.field:
            return ValidationError({self.field: ValidationError(self.message, code=self.code)})
        return ValidationError(self.message, code=self.code)


def add_to_form(form: BaseForm, error: DomainError | ValidationError) -> None:
    """Put a service's error on the form, on the field it names when the form has that field."""
    if isinstance(error, DomainError):
        field = error.field if error.field in form.fields else None
        form.add_error(field, ValidationError(error.message, code=error.code))
        return
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)
