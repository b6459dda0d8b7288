import hashlib

import factory

from initiatives.models import Initiative, KeyFigure, Membership
from organisations.models import CareSetting, Contact, Organisation, RegulatoryMark, Sector, Status


class SectorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Sector
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Sector {n}")
    slug = factory.LazyAttribute(lambda o: o.name.lower().replace(" ", "-"))


class CareSettingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CareSetting
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Care setting {n}")
    slug = factory.LazyAttribute(lambda o: o.name.lower().replace(" ", "-"))


class RegulatoryMarkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RegulatoryMark
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Mark {n}")
    slug = factory.LazyAttribute(lambda o: o.name.lower().replace(" ", "-"))


def codeword(n):
    """Twelve letters that differ from one n to the next: factory entries never look like duplicates
    of each other (organisations.duplicates), as "Test Organisation 1" and "… 2" would."""
    return "".join(
        chr(ord("a") + int(digit, 16)) for digit in hashlib.sha256(str(n).encode()).hexdigest()[:12]
    )


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Test Organisation {codeword(n).capitalize()}")
    organisation_type = Organisation.Type.COMPANY
    status = Status.PUBLISHED
    summary = "A test organisation."
    town = "Leeds"
    local_authority = Organisation.LocalAuthority.LEEDS
    website = factory.Sequence(lambda n: f"https://org{n}.example.org")

    @factory.post_generation
    def sectors(self, create, extracted, **kwargs):
        if create and extracted:
            self.sectors.set(extracted)
            self.refresh_search_names()


class InitiativeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Initiative

    name = factory.Sequence(lambda n: f"Test Initiative {n}")
    kind = Initiative.Kind.INNOVATION_HUB
    status = Status.PUBLISHED
    summary = "A test initiative."


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    organisation = factory.SubFactory(OrganisationFactory)
    initiative = factory.SubFactory(InitiativeFactory)
    role = Membership.Role.MEMBER


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Contact Person {n}")
    job_title = "Director"
    email = factory.Sequence(lambda n: f"person{n}@example.org")
    is_public = False


class KeyFigureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = KeyFigure

    label = "test figure"
    value = "42"
    source_name = "A test source"
    source_url = "https://example.org/source"
    slug = factory.Sequence(lambda n: f"figure-{n}")
