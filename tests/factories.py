import factory
from django.contrib.auth.models import Group

from accounts.models import Agency, AgencyType, LocalAuthority, Locality, Role, User

PASSWORD = "correct-horse-battery-staple"


class LocalAuthorityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LocalAuthority

    name = factory.Sequence(lambda n: f"Council {n}")
    slug = factory.Sequence(lambda n: f"council-{n}")
    child_population = 40_000
    front_door_phone = "01632 960 000"


class LocalityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Locality

    council = factory.SubFactory(LocalAuthorityFactory)
    name = factory.Sequence(lambda n: f"Locality {n}")


class AgencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agency

    council = factory.SubFactory(LocalAuthorityFactory)
    name = factory.Sequence(lambda n: f"Agency {n}")
    agency_type = AgencyType.SCHOOL


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    full_name = factory.Sequence(lambda n: f"Person {n}")
    agency = factory.SubFactory(AgencyFactory)
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def roles(self, create: bool, extracted: list[Role] | None, **kwargs: object) -> None:
        if create and extracted:
            self.groups.add(*Group.objects.filter(name__in=[role.value for role in extracted]))
            if Role.COUNCIL_ADMINISTRATOR in extracted:
                self.is_staff = True
                self.save(update_fields=["is_staff"])
