-- Functions the owner creates in the function schemas are not executable by PUBLIC unless granted.
alter default privileges for role {owner} in schema {function_schemas}
revoke execute on functions from public;
