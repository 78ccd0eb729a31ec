-- The deploy role acts as the owner (it runs the files as the owner) and as the service role (a
-- role may set its own defaults: the service's timeouts); the owner may create schemas here.
grant {owner} to {deploy};
grant {service} to {deploy};
grant connect, create on database {database} to {owner};
